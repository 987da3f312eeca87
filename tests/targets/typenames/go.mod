module gomapleak.test/typenames

go 1.19
