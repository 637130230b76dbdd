from handlers.cli import main

raise SystemExit(main())
