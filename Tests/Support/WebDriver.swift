import Foundation

/// Headless Chromium driven through `/usr/bin/chromedriver` with the W3C WebDriver protocol (JSON over HTTP,
/// the protocol selenium speaks): open a page, run a script in it, look for a dialog, take a screenshot.
/// The browser profile and HOME live in a temp directory; ``quit()`` ends the session and the driver.
public final class WebDriver: @unchecked Sendable {
    public static let chromium = "/usr/bin/chromium"
    public static let chromedriver = "/usr/bin/chromedriver"

    let driver: Process
    let base: URL
    let session: String
    let profile: String

    /// Starts chromedriver on a free port and a headless Chromium session (1280×1600 unless `width` says).
    public init(width: Int = 1280, height: Int = 1600) async throws {
        for binary in [Self.chromium, Self.chromedriver] where !FileManager.default.isExecutableFile(atPath: binary) {
            throw TestFailure("\(binary) is missing: make deps installs chromium and chromium-driver")
        }
        profile = try makeTemporaryDirectory("chromium")
        let port = try Fleet.freePort()
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: Self.chromedriver)
        driver.arguments = ["--port=\(port)", "--log-path=\(profile)/chromedriver.log"]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = profile
        driver.environment = environment
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        base = URL(string: "http://127.0.0.1:\(port)")!
        var ready = false
        var last = "no answer"
        for _ in 0..<100 {
            do {
                let status = try await Self.call(base, "GET", "/status", nil) as? [String: Any]
                if status?["ready"] as? Bool == true {
                    ready = true
                    break
                }
                last = "\(status ?? [:])"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard ready else {
            kill(driver.processIdentifier, SIGKILL)
            throw TestFailure("chromedriver did not become ready on port \(port): \(last)")
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": Self.chromium,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=\(width),\(height)", "--user-data-dir=\(profile)/profile",
                            "--no-first-run", "--disable-extensions",
                        ],
                    ],
                    "unhandledPromptBehavior": "ignore",
                ]
            ]
        ]
        do {
            let created = try await Self.call(base, "POST", "/session", capabilities) as? [String: Any]
            guard let id = created?["sessionId"] as? String else {
                throw TestFailure("no session id: \(created ?? [:])")
            }
            session = id
        } catch {
            kill(driver.processIdentifier, SIGKILL)
            throw error
        }
    }

    /// Runs `body` with a new browser and quits it afterwards, also when `body` throws.
    public static func with<T>(
        width: Int = 1280, height: Int = 1600, _ body: (WebDriver) async throws -> T
    ) async throws -> T {
        let driver = try await WebDriver(width: width, height: height)
        do {
            let result = try await body(driver)
            await driver.quit()
            return result
        } catch {
            await driver.quit()
            throw error
        }
    }

    /// Loads `url` and waits for the document to finish loading.
    public func open(_ url: String) async throws {
        _ = try await command("POST", "/url", ["url": url])
    }

    /// Runs `script` (a function body; `arguments[0]`… are `arguments`) in the page and returns its value.
    @discardableResult
    public func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// The text of an open alert, confirm or prompt dialog, or nil when there is none.
    public func dialogText() async throws -> String? {
        do {
            return try await command("GET", "/alert/text", nil) as? String
        } catch let error as WebDriverError where error.code == "no such alert" {
            return nil
        }
    }

    /// Saves a PNG of the viewport to `path` (directories made as needed).
    public func screenshot(_ path: String) async throws {
        guard let encoded = try await command("GET", "/screenshot", nil) as? String,
            let data = Data(base64Encoded: encoded)
        else { throw TestFailure("no screenshot") }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Polls `script` until it returns true or `timeout` passes; returns the seconds it took, or nil.
    public func waitFor(_ script: String, timeout: Double) async throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if try await run(script) as? Bool == true { return Date().timeIntervalSince(start) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Sets the window's size in CSS pixels.
    public func resize(width: Int, height: Int) async throws {
        _ = try await command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// Ends the session and stops chromedriver (and with it the browser).
    public func quit() async {
        _ = try? await Self.call(base, "DELETE", "/session/\(session)", nil)
        // chromedriver does not always exit on SIGTERM; nothing of this browser may outlive the test.
        Self.killAll(using: profile)
        kill(driver.processIdentifier, SIGKILL)
        _ = try? await onThread { [driver] in driver.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// SIGKILL to every process whose command line names `path` (the browser and its helpers use the profile).
    static func killAll(using path: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            if String(decoding: data, as: UTF8.self).contains(path) { kill(pid, SIGKILL) }
        }
    }

    func command(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any? {
        try await Self.call(base, method, "/session/\(session)\(path)", body)
    }

    /// One WebDriver request, made with curl: Foundation's URLSession on Linux fails on chromedriver's answers
    /// ("Failed writing header").
    static func call(_ base: URL, _ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any? {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let result = try await onThread {
            try runCommand(
                ["curl", "-s", "--max-time", "60", "-X", method, base.absoluteString + path]
                    + (payload == nil ? [] : ["-H", "Content-Type: application/json", "--data-binary", "@-"]),
                input: payload)
        }
        guard result.status == 0 else {
            throw TestFailure("curl \(method) \(path) failed with status \(result.status)")
        }
        let data = result.output
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        let value = object?["value"]
        if let error = value as? [String: Any], let code = error["error"] as? String {
            throw WebDriverError(code: code, message: error["message"] as? String ?? "")
        }
        return value is NSNull ? nil : value
    }
}

/// An error the driver answered with (`no such alert`, `javascript error`, …).
public struct WebDriverError: Error, CustomStringConvertible {
    public var code: String
    public var message: String
    public var description: String { "webdriver: \(code): \(message.prefix(500))" }
}
