from mockplex.cli import main

main()
