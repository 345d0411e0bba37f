/* stub */ int bad_abi_stub_symbol;
