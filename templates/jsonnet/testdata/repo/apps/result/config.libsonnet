// Imported relative to main.jsonnet's folder.
{
  port: 8080,
  replicas: { dev: 1, staging: 2, prod: 3 },
}
