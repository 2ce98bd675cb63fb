variable "workspace" {
  type = string
}

variable "mode" {
  type    = string
  default = "default"
}

variable "greeting" {
  type = string
}

resource "terraform_data" "demo" {
  input = "${var.greeting} from ${var.workspace}"

  provisioner "local-exec" {
    command = "echo '${self.input}'"
  }
}

output "message" {
  value = terraform_data.demo.output
}
