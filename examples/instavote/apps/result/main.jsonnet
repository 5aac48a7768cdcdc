// The result app. kiln passes env (string), vars (object) and images
// (repository -> reference CI built) as top-level arguments.
local kube = import 'kube.libsonnet';

function(env, vars, images)
  local name = 'result';
  {
    deployment: kube.deployment(
      name,
      image=std.get(images, 'ghcr.io/acme/result', 'ghcr.io/acme/result:latest'),
      replicas=if env == 'prod' then 3 else 1,
      env={
        LOG_LEVEL: std.get(vars, 'LOG_LEVEL', 'info'),
        PGHOST: 'db',
        PGDATABASE: 'votes',
      },
      resources={
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { memory: '128Mi' },
      },
    ),
    service: kube.service(name),
  }
