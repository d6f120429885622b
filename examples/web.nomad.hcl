# Example service job: its task logs in to Vault with its workload identity and renders a secret.
variable "image_tag" {
  type    = string
  default = "1.0.0"
}

job "web" {
  type        = "service"
  datacenters = ["*"]

  update {
    max_parallel     = 1
    healthy_deadline = "1m"
    min_healthy_time = "1s"
  }

  group "web" {
    count = 1

    task "server" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo release ${var.image_tag}; while true; do sleep 5; done"]
      }

      vault {
        role = "nomad-workloads"
      }

      template {
        data        = <<EOT
{{ with secret "secret/data/default/web/config" }}PASSWORD={{ .Data.data.password }}{{ end }}
EOT
        destination = "secrets/app.env"
        env         = true
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
