"""Lambda emulation for what is not deployed (devtools, bench, tests): context, events, environment, the
runtime's stand-in and the isolated interpreter that runs a built handler as Lambda does."""
