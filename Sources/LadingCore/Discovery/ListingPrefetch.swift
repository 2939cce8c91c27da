import Foundation
import LadingConfiguration

/// The first table's landing folder listed on a second thread while the run takes its
/// lock, opens and checks its stores and reconciles: on a night with nothing new the
/// listing (a `stat` per landing file) is most of the run, and the other core is idle
/// until then. Only the first table: a later table's folder may lose files to an
/// earlier table's `after_load`, so it is listed, as before, when its turn comes.
final class ListingPrefetch {
    let table: String
    private let side: SideThread<Result<Discovery.Listing, any Error>>

    init(table: TableConfig, now: Date) {
        self.table = table.name
        let discovery = Discovery(table: table, now: now)
        side = SideThread(stackSize: 1 << 20) { Result { try discovery.list() } }
        // A new thread starts on its parent's core, which keeps it waiting until the
        // scheduler moves one of them to the idle core; yielding once lets it begin now.
        sched_yield()
    }

    /// The listing (or the error `Discovery.list` threw), once the thread finished.
    func listing() throws -> Discovery.Listing { try side.wait().get() }
}
