/* stub */ int good_test_stub_symbol;
