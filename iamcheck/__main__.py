from iamcheck.cli import main

main()
