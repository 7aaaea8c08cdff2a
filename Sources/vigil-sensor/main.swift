import VigilSensor

await SensorMain.main()
