/* stub */ int no_symbol_stub_symbol;
