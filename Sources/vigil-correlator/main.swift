import VigilServer

await CorrelatorMain.main()
