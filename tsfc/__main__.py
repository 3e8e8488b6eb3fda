from tsfc.cli import main

main()
