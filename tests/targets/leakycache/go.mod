module gomapleak.test/leakycache

go 1.19
