local env = std.extVar('env');
if env == 'dev' then error 'this app is not meant for ' + env else {}
