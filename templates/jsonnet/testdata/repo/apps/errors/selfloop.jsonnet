{
  apiVersion: 'example.com/v1',
  kind: 'Thing',
  metadata: { name: 'loop' },
  spec: { loop: self },
}
