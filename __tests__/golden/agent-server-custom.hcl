vault {
  enabled = true

  default_identity {
    aud = ["bao.internal"]
    ttl = "30m"
  }
}
