variant = "cpu"
