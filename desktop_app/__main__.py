from desktop_app.launcher import main

raise SystemExit(main())
