# A shared template: workspaces built on it add their own files and variables.
variable "workspace" {
  type = string
}

variable "mode" {
  type    = string
  default = "default"
}

variable "instance_count" {
  type    = number
  default = 1
}

resource "terraform_data" "instance" {
  count = var.instance_count
  input = "${var.workspace}-${var.mode}-${count.index}"

  provisioner "local-exec" {
    command = "echo 'instance ${self.input} up'"
  }
}

output "instances" {
  value = terraform_data.instance[*].output
}
