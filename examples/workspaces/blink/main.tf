variable "workspace" {
  type = string
}

variable "mode" {
  type    = string
  default = "default"
}

resource "terraform_data" "stack" {
  input = "${var.workspace}-stack"

  provisioner "local-exec" {
    command = "echo 'bringing up ${var.workspace}'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "echo 'tearing down ${self.output}'"
  }
}

output "stack_id" {
  value = terraform_data.stack.id
}
