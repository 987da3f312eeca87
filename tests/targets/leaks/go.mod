module gomapleak.test/leaks

go 1.19
