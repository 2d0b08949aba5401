from chipao.cli.main import main

raise SystemExit(main())
