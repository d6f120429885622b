vault {
  enabled               = true
  address               = "https://bao.internal:8200"
  jwt_auth_backend_path = "nomad/prod"
  create_from_role      = "web-apps"
}
