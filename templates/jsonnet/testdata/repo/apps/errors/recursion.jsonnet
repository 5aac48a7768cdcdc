local depth(n) =
  if n == 0 then 0
  else 1 + depth(n - 1);
{
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: "depth" },
  data: { v: std.toString(depth(100000)) },
}
