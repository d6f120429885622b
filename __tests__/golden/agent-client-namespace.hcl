vault {
  enabled               = true
  address               = "https://vault.example.com:8200"
  jwt_auth_backend_path = "jwt-nomad"
  create_from_role      = "nomad-workloads"
  namespace             = "platform/team-a"

  # Vault uses a private CA (vault-ca-cert): put that PEM on every client and point ca_file at it.
  # ca_file = "/etc/nomad.d/vault-ca.pem"
}
