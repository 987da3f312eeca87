module gomapleak.test/growonce

go 1.19
