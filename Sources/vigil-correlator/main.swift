import VigilServer

await CorrelatorCommand.main()
