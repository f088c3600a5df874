"""One module per `studio` command: ``add_options(parser)`` defines its options (shared ones from
``cmdoptions``), ``run(args) -> int`` does it. The engine is imported inside ``run``, so building a
command's parser (its ``--help``) stays light."""
