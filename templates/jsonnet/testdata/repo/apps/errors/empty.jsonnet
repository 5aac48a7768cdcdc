{ a: {}, b: [], c: null }
