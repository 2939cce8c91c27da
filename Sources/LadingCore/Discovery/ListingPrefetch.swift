import Foundation
import LadingSupport
import LadingConfiguration

/// The first table's landing folder listed on a second thread while the run takes its
/// lock, opens and checks its stores and reconciles: on a night with nothing new the
/// listing (a `stat` per landing file) is most of the run, and the other core is idle
/// until then. Only the first table: a later table's folder may lose files to an
/// earlier table's `after_load`, so it is listed, as before, when its turn comes.
/// `lading run` may start it before its arguments are parsed (`EarlyListing`).
public final class ListingPrefetch {
    /// The table whose folder is listed.
    public let table: String
    private let help: StatHelp
    private let finished: () -> Result<Discovery.Listing, any Error>

    /// Lists `table`'s folder on a new thread.
    public convenience init(table: TableConfig, now: Date) {
        var discovery = Discovery(table: table, now: now)
        let help = StatHelp()
        discovery.statHelp = help
        let side = SideThread { Result { try discovery.list() } }
        self.init(table: table.name, help: help) { side.wait() }
    }

    /// A listing of `table` that a thread started for more than this is making, with
    /// `help` as its `Discovery.statHelp`; `finished` blocks until it is done.
    public init(table: String, help: StatHelp, finished: @escaping () -> Result<Discovery.Listing, any Error>) {
        self.table = table
        self.help = help
        self.finished = finished
    }

    /// The listing (or the error `Discovery.list` threw), once it is done; the calling
    /// thread `stat`s beside the listing's meanwhile.
    func listing() throws -> Discovery.Listing {
        help.arrive()
        return try finished().get()
    }
}
