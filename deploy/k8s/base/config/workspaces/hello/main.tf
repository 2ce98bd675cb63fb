variable "workspace" {
  type = string
}

resource "terraform_data" "hello" {
  input = "${var.workspace}-hello"

  provisioner "local-exec" {
    command = "echo 'hello from ${var.workspace}'"
  }
}
