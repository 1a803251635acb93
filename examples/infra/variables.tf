# The orders database port is a variable: when it drifts, portdrift points the fix here.
variable "orders_db_port" {
  type    = number
  default = 25432
}
