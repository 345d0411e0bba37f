/* stub */ int init_fails_stub_symbol;
