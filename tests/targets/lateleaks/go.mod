module gomapleak.test/lateleaks

go 1.19
