{ name: std.extVar('cluster') }
