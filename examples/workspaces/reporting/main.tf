variable "workspace" {
  type = string
}

variable "mode" {
  type    = string
  default = "default"
}

variable "retention_days" {
  type = number
}

resource "terraform_data" "database" {
  input = {
    name           = "${var.workspace}-db"
    retention_days = var.retention_days
  }

  provisioner "local-exec" {
    command = "echo 'database ${self.input.name} ready'"
  }
}

output "database_name" {
  value = terraform_data.database.output.name
}
