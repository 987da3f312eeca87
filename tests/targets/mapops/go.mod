module gomapleak.test/mapops

go 1.19
