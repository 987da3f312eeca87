module gomapleak.test/mapbench

go 1.19
