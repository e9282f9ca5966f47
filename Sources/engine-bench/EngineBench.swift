@main struct EngineBench { static func main() {} }
