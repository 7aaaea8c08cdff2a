import VigilCLI

await VigilMain.main()
