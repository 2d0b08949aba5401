from chipao.cli import main

raise SystemExit(main())
