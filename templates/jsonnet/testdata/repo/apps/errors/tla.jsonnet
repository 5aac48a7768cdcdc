function(env, cluster) {}
