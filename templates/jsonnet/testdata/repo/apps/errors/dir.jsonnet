import '../../lib'
