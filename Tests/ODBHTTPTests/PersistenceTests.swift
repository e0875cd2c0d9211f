import Testing
@testable import ODBHTTP

@Suite struct PersistenceTests {
    @Test func requestPersistence() throws {
        #expect(keepAlive(request: try requestHead(requestText([]))))
        #expect(!keepAlive(request: try requestHead(requestText(["Connection: close"]))))
        #expect(!keepAlive(request: try requestHead(requestText(["Connection: Upgrade, CLOSE"]))))
        #expect(!keepAlive(request: try requestHead("GET / HTTP/1.0\r\n\r\n")))
        #expect(keepAlive(request: try requestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")))
        #expect(!keepAlive(request: try requestHead("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")))
    }

    @Test func responsePersistence() throws {
        #expect(keepAlive(response: try responseHead("HTTP/1.1 200 OK\r\n\r\n")))
        #expect(!keepAlive(response: try responseHead("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")))
        #expect(!keepAlive(response: try responseHead("HTTP/1.0 200 OK\r\n\r\n")))
        #expect(keepAlive(response: try responseHead("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\n\r\n")))
    }

    @Test func expectContinue() throws {
        #expect(expectsContinue(request: try requestHead(requestText(["Expect: 100-continue"]))))
        #expect(expectsContinue(request: try requestHead(requestText(["Expect: 100-Continue"]))))
        #expect(!expectsContinue(request: try requestHead(requestText([]))))
        #expect(!expectsContinue(request: try requestHead(requestText(["Expect: something-else"]))))
        #expect(!expectsContinue(request: try requestHead("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")))
    }
}
