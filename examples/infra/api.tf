resource "aws_lb_target_group" "api" {
  name        = "api"
  port        = 28080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = "vpc-0123456789abcdef0"
}

resource "aws_lb_target_group_attachment" "api" {
  target_group_arn = aws_lb_target_group.api.arn
  target_id        = "127.0.0.13"
  port             = 28080
}

resource "aws_ecs_task_definition" "api" {
  family       = "api"
  network_mode = "awsvpc"
  container_definitions = jsonencode([
    {
      name  = "api"
      image = "registry.internal/api:1.4.2"
      portMappings = [
        { containerPort = 28080, protocol = "tcp" },
        { containerPort = 29090, protocol = "tcp" }
      ]
    }
  ])
}
