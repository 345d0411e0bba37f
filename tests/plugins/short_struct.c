/* stub */ int short_struct_stub_symbol;
