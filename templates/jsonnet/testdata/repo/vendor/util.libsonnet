{
  labels(name):: { 'app.kubernetes.io/name': name },
}
