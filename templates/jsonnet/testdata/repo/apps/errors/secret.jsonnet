local vars = std.extVar('vars');
error 'cannot connect with password ' + vars.DB_PASSWORD
