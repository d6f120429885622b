vault {
  enabled               = true
  address               = "https://vault.example.com:8200"
  jwt_auth_backend_path = "jwt-nomad"
  create_from_role      = "nomad-workloads"
}
