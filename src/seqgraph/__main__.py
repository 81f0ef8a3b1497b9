from seqgraph.cli import main

main()
